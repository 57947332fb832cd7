import NIOCore
import Testing
import TidegateConfig

@testable import TidegateCore

@Suite("Sample converters")
struct SampleConverterTests {
    let context = makeContext(request: "GET /a HTTP/1.1\nHost: WWW.Example.COM")

    @Test func caseAndLength() throws {
        #expect(try string("req.hdr(host),lower", context) == "www.example.com")
        #expect(try string("req.hdr(host),upper", context) == "WWW.EXAMPLE.COM")
        #expect(try integer("req.hdr(host),length", context) == 15)
        #expect(try integer("str(héllo),length", context) == 6)
    }

    @Test func encodings() throws {
        #expect(try string("str(hi!),hex", context) == "686921")
        #expect(try string("int(1),hex", context) == "0000000000000001")
        // Expected values from Python's base64.b64encode / urlsafe_b64encode.
        #expect(try string("str('hello, world?>'),base64", context) == "aGVsbG8sIHdvcmxkPz4=")
        #expect(try string("str(ab),base64", context) == "YWI=")
        #expect(try string("str(a),base64", context) == "YQ==")
        #expect(try string("str(aGVsbG8sIHdvcmxkPz4=),b64dec", context) == "hello, world?>")
        #expect(try evaluate("str(abc),b64dec", context) == nil)
        #expect(try string("str(>>>?),ub64enc", context) == "Pj4-Pw")
        #expect(try string("str(Pj4-Pw),ub64dec", context) == ">>>?")
        #expect(try string("str(a%20b+c%2Fd),url_dec", context) == "a b+c/d")
        #expect(try string("str(a%20b+c),url_dec(1)", context) == "a b c")
        #expect(try string("str(/p+q?x=a+b),url_dec", context) == "/p+q?x=a b")
        #expect(try evaluate("str(bad%zz),url_dec", context) == nil)
    }

    @Test func json() throws {
        #expect(try string("bin(6122625c632f64),json", context) == "a\\\"b\\\\c\\/d")
        #expect(try string("bin(0a09),json", context) == "\\n\\t")
        #expect(try string("bin(01),json", context) == "\\u0001")
        // ASCII mode escapes each byte of é (0xc3 0xa9); UTF-8 mode the code point.
        #expect(try string("str(é),json", context) == "\\u00c3\\u00a9")
        #expect(try string("str(é),json(utf8)", context) == "\\u00e9")
        #expect(try evaluate("bin(61ff),json(utf8)", context) == nil)
        #expect(try string("bin(61ff62),json(utf8s)", context) == "ab")
        #expect(throws: SampleCompileError.self) { try SampleExpression("str(a),json(latin1)") }
    }

    @Test func hashesAgainstIndependentValues() throws {
        // Expected values computed with Python 3: zlib.crc32 for crc32, and straightforward Python
        // ports of the published djb2 / sdbm / wt6 / CRC-32C (poly 0x82f63b78) / avalanche formulas.
        #expect(try integer("str(www.example.com),crc32", context) == 785_793_723)
        #expect(try integer("str(123456789),crc32", context) == 0xCBF4_3926)
        #expect(try integer("str(123456789),crc32c", context) == 0xE306_9283)
        #expect(try integer("str(www.example.com),crc32c", context) == 1_031_305_761)
        #expect(try integer("str(www.example.com),djb2", context) == 2_843_247_409)
        #expect(try integer("str(www.example.com),sdbm", context) == 2_718_216_582)
        #expect(try integer("str(www.example.com),wt6", context) == 612_436_471)
        #expect(try integer("str(123456789),djb2", context) == 902_675_330)
        #expect(try integer("str(123456789),sdbm", context) == 1_755_344_949)
        #expect(try integer("str(123456789),wt6", context) == 2_225_171_485)
        #expect(try integer("str(héllo),crc32", context) == 2_654_700_086)
        #expect(try integer("str(héllo),wt6", context) == 32_958_025)
        #expect(try integer("str(www.example.com),crc32(1)", context) == 3_461_886_002)
        #expect(try integer("str(www.example.com),crc32(0)", context) == 785_793_723)
    }

    @Test func fieldAndWord() throws {
        // The examples of HAProxy's manual for field() and word().
        let input = "str(f1_f2_f3__f5)"
        #expect(try string("\(input),field(4,_)", context) == "")
        #expect(try string("\(input),field(5,_)", context) == "f5")
        #expect(try string("\(input),field(2,_,0)", context) == "f2_f3__f5")
        #expect(try string("\(input),field(2,_,2)", context) == "f2_f3")
        #expect(try string("\(input),field(-2,_,3)", context) == "f2_f3_")
        #expect(try string("\(input),field(-3,_,0)", context) == "f1_f2_f3")
        #expect(try evaluate("\(input),field(6,_)", context) == nil)
        #expect(try string("\(input),word(4,_)", context) == "f5")
        #expect(try string("\(input),word(2,_,0)", context) == "f2_f3__f5")
        #expect(try string("\(input),word(3,_,2)", context) == "f3__f5")
        #expect(try string("\(input),word(-2,_,3)", context) == "f1_f2_f3")
        #expect(try string("\(input),word(-3,_,0)", context) == "f1_f2")
        #expect(try string("\(input),word(6,_)", context) == "")
        #expect(try string("str(a.b:c),field(2,.:)", context) == "b")
        #expect(throws: SampleCompileError.self) { try SampleExpression("str(a),field(0,_)") }
    }

    @Test func regsub() throws {
        #expect(try string("str(aXbXc),regsub(X,-)", context) == "a-bXc")
        #expect(try string("str(aXbXc),regsub(X,-,g)", context) == "a-b-c")
        #expect(try string("str(aXbxc),regsub(x,-,gi)", context) == "a-b-c")
        #expect(try string("str(/a//b///c),regsub(/+,/,g)", context) == "/a/b/c")
        #expect(try string("str(john.smith),regsub(\"([a-z]+)\\\\.([a-z]+)\",\\\\2_\\\\1)", context) == "smith_john")
        #expect(try string("str(abc),regsub(x*,-,g)", context) == "-a-b-c-")
        // PCRE-only syntax goes through Swift's Regex.
        #expect(try string("str(a1b22c),regsub('\\d+',#,g)", context) == "a#b#c")
        #expect(throws: SampleCompileError.self) { try SampleExpression("str(a),regsub(x,y,z)") }
        #expect(throws: SampleCompileError.self) { try SampleExpression("str(a),regsub(\"(\",y)") }
    }

    @Test func bytesTrimConcat() throws {
        #expect(try string("str(0123456789),bytes(2,3)", context) == "234")
        #expect(try string("str(0123456789),bytes(7)", context) == "789")
        #expect(try string("str(0123),bytes(9)", context) == "")
        #expect(try string("str(xxhixx),ltrim(x)", context) == "hixx")
        #expect(try string("str(xxhixy),rtrim(xy)", context) == "xxhi")
        let name = try VariableName.parse("txn.who").get()
        context.setVariable(name, to: .string("bob"))
        #expect(try string("str(hello),concat(\" \",txn.who,!)", context) == "hello bob!")
        #expect(try string("str(a),concat(,txn.none,)", context) == "a")
        #expect(try string("str(a),concat(-)", context) == "a-")
        #expect(try integer("str(bob),strcmp(txn.who)", context) == 0)
        #expect(try integer("str(alice),strcmp(txn.who)", context) == -1)
    }

    @Test func arithmetic() throws {
        #expect(try integer("int(5),add(3)", context) == 8)
        #expect(try integer("int(5),sub(7)", context) == -2)
        #expect(try integer("int(6),mul(7)", context) == 42)
        #expect(try integer("int(7),div(2)", context) == 3)
        #expect(try integer("int(-7),div(2)", context) == -3)
        #expect(try integer("int(7),div(0)", context) == .max)
        #expect(try integer("int(7),mod(3)", context) == 1)
        #expect(try integer("int(7),mod(0)", context) == 0)
        #expect(try integer("int(5),neg", context) == -5)
        #expect(try integer("int(12),and(10)", context) == 8)
        #expect(try integer("int(12),or(3)", context) == 15)
        #expect(try integer("int(12),xor(10)", context) == 6)
        #expect(try integer("int(0),cpl", context) == -1)
        #expect(try evaluate("int(0),not", context) == .bool(true))
        #expect(try evaluate("int(4),bool", context) == .bool(true))
        #expect(try evaluate("int(3),odd", context) == .bool(true))
        #expect(try evaluate("int(3),even", context) == .bool(false))
        #expect(try integer("int(9223372036854775807),add(1)", context) == .max)
        #expect(try integer("int(-9223372036854775807),sub(10)", context) == .min)
        #expect(try integer("int(4611686018427387904),mul(4)", context) == .max)
        #expect(try integer("int(-4611686018427387904),mul(4)", context) == .min)
        let name = try VariableName.parse("sess.n").get()
        context.setVariable(name, to: .sint(10))
        #expect(try integer("int(5),add(sess.n)", context) == 15)
        #expect(try evaluate("int(5),add(sess.missing)", context) == nil)
        // A string holding digits is cast to an integer first.
        #expect(try integer("str(40),add(2)", context) == 42)
        #expect(throws: SampleCompileError.self) { try SampleExpression("int(1),add(x1)") }
    }

    @Test func ipmask() throws {
        #expect(try string("src,ipmask(24)", context) == "192.0.2.0")
        #expect(try string("src,ipmask(255.255.0.0)", context) == "192.0.0.0")
        #expect(try string("ipv6(2001:db8:1:2::5),ipmask(24,64)", context) == "2001:db8:1:2::")
        #expect(try evaluate("ipv6(2001:db8::5),ipmask(24)", context) == nil)
        #expect(throws: SampleCompileError.self) { try SampleExpression("src,ipmask(33)") }
    }

    @Test func setVarConverterAndDates() throws {
        #expect(try string("req.hdr(host),lower,set-var(txn.host),upper", context) == "WWW.EXAMPLE.COM")
        #expect(try string("var(txn.host)", context) == "www.example.com")
        #expect(try string("str(x),unset-var(txn.host)", context) == "x")
        #expect(try evaluate("var(txn.host)", context) == nil)
        #expect(try string("int(784111777),http_date", context) == "Sun, 06 Nov 1994 08:49:37 GMT")
        // The offset is in the input's unit: 3600 ms here, 3600 s below.
        #expect(try string("int(784111777000),http_date(3600,ms)", context) == "Sun, 06 Nov 1994 08:49:40 GMT")
        #expect(try string("int(784111777),http_date(3600)", context) == "Sun, 06 Nov 1994 09:49:37 GMT")
        #expect(try string("int(784111777),utime(%Y-%m-%d %H:%M:%S)", context) == "1994-11-06 08:49:37")
    }

    @Test func converterTypeChecks() {
        #expect(throws: SampleCompileError.self) { try SampleExpression("always_true,hex") }
        #expect(throws: SampleCompileError.self) { try SampleExpression("always_true,ipmask(8)") }
        #expect(throws: SampleCompileError.self) { try SampleExpression("path,nosuchconverter") }
        do {
            _ = try SampleExpression("always_true,ipmask(8)")
        } catch {
            #expect(error.code == .incompatibleConverter)
            #expect(error.message.contains("converter 'ipmask' cannot be applied"))
        }
    }
}
