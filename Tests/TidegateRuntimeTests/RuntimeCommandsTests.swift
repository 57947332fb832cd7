import Foundation
import TidegateConfig
import TidegateCore
import Testing

@testable import TidegateRuntime

/// HAProxy's commands over the model: what they answer and what they change.
@Suite struct RuntimeCommandsTests {
    @Test func showInfoPrintsNameValueLines() throws {
        let fixture = try RuntimeFixture()
        let info = fixture.answer("show info")
        let fields = Dictionary(
            uniqueKeysWithValues: info.split(separator: "\n").map { line in
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return (parts[0], parts.count > 1 ? parts[1] : "")
            })
        #expect(fields["Name"] == "Tidegate")
        #expect(fields["Version"] == ProcessInformation.version)
        #expect(fields["Nbthread"] == "2")
        #expect(Int(fields["Pid"] ?? "") == Int(getpid()))
        #expect(fields["CurrConns"] == "3" && fields["CumConns"] == "42" && fields["Maxconn"] == "100")
        #expect(fields["node"] == "node1")
        #expect(fields["Uptime"]?.hasSuffix("s") == true && Int(fields["Uptime_sec"] ?? "") != nil)
        #expect(fixture.answer("show info json") == "'show info json' is not supported by Tidegate.\n")
    }

    @Test func showStatIsHAProxysCSV() throws {
        let fixture = try RuntimeFixture()
        let lines = fixture.answer("show stat").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = lines[0]
        #expect(header.hasPrefix("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,"))
        #expect(header.hasSuffix(",need_conn_est,uweight,"))
        let columns = header.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func row(_ proxy: String, _ name: String) -> [String: String]? {
            guard let line = lines.first(where: { $0.hasPrefix("\(proxy),\(name),") }) else { return nil }
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(values.count == columns.count, "as many fields as columns, with the trailing comma")
            return Dictionary(uniqueKeysWithValues: zip(columns, values))
        }
        let order = lines.dropFirst().filter { !$0.isEmpty }.map {
            $0.split(separator: ",").prefix(2).joined(separator: "/")
        }
        #expect(order == ["fe/FRONTEND", "be/s1", "be/s2", "be/b1", "be/BACKEND", "st/FRONTEND", "st/t1", "st/BACKEND"])
        let frontend = try #require(row("fe", "FRONTEND"))
        #expect(frontend["status"] == "OPEN" && frontend["scur"] == "3" && frontend["stot"] == "42")
        #expect(frontend["slim"] == "100" && frontend["type"] == "0" && frontend["mode"] == "http")
        #expect(frontend["weight"] == "", "unknown fields are empty")
        let s2 = try #require(row("be", "s2"))
        #expect(s2["status"] == "no check" && s2["weight"] == "1" && s2["slim"] == "5" && s2["sid"] == "2")
        #expect(s2["addr"] == "127.0.0.1:9001" && s2["type"] == "2" && s2["iid"] == "2")
        let backend = try #require(row("be", "BACKEND"))
        #expect(backend["status"] == "UP" && backend["act"] == "2" && backend["bck"] == "1" && backend["weight"] == "11")

        _ = fixture.answer("disable server be/s1")
        #expect(fixture.answer("show stat").contains("\nbe,s1,0,,0,0,,0,,,,,,,,,,MAINT,0,"))
        let filtered = fixture.answer("show stat be 4 -1").split(separator: "\n").dropFirst().map { $0.prefix(6) }
        #expect(filtered == ["be,s1,", "be,s2,", "be,b1,"])
        #expect(fixture.answer("show stat nope 1 -1") == "No such proxy.\n")
    }

    @Test func showServersStateIsFormatVersion1() throws {
        let fixture = try RuntimeFixture()
        _ = fixture.answer("set server be/s1 state drain")
        _ = fixture.answer("set weight be/s2 0")
        let lines = fixture.answer("show servers state").split(separator: "\n").map(String.init)
        #expect(lines[0] == "1")
        #expect(lines[1].hasPrefix("# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight"))
        #expect(lines.count == 2 + 4)
        let s1 = lines[2].split(separator: " ").map(String.init)
        #expect(s1.count == RuntimeCommands.serversStateColumns.count)
        #expect(Array(s1[0...8]) == ["2", "be", "7", "s1", "127.0.0.1", "2", "8", "10", "10"])
        #expect(s1[16] == "1", "srv_f_forced_id")
        let s2 = lines[3].split(separator: " ").map(String.init)
        #expect(s2[7] == "0" && s2[8] == "1" && s2[17] == "localhost" && s2[18] == "9001")
        let t1 = lines[5].split(separator: " ").map(String.init)
        #expect(t1[0] == "5" && t1[1] == "st" && t1[15] == "1", "bk_f_forced_id")
        let one = fixture.answer("show servers state st").split(separator: "\n")
        #expect(one.count == 3 && one[2].hasPrefix("5 st 1 t1 "))
        #expect(fixture.answer("show servers state nope") == "Can't find backend.\n")
        #expect(fixture.answer("show backend") == "# name\nbe\nst\n")
    }

    @Test func serverStatesChangeWhatTheBalancerMayPick() throws {
        let fixture = try RuntimeFixture()
        let s1 = fixture.server("s1")
        #expect(fixture.answer("disable server be/s1") == "")
        #expect(s1.isAdminDown && !s1.isUsable)
        #expect(fixture.answer("enable server be/s1") == "")
        #expect(s1.isUsable)
        #expect(fixture.answer("set server be/s1 state drain") == "")
        #expect(s1.hasDrainFlag && !s1.isAdminDown && !s1.isUsable)
        #expect(fixture.answer("set server be/s1 state maint") == "")
        #expect(s1.isAdminDown && !s1.hasDrainFlag)
        #expect(fixture.answer("set server be/s1 state ready") == "")
        #expect(s1.isUsable)
        #expect(fixture.answer("set server #2/#7 state maint") == "", "ids with #")
        #expect(s1.isAdminDown)
        #expect(
            fixture.answer("set server be/s1 state up")
                == "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n")
        #expect(fixture.answer("set server be/s1 health up") == "health checks are not enabled on this server.\n")
        #expect(fixture.answer("set server be/s1 frob").hasPrefix("'set server <srv>' only supports "))
    }

    @Test func weightsAndMaxconnAsHAProxyParsesThem() throws {
        let fixture = try RuntimeFixture()
        let s1 = fixture.server("s1")
        #expect(fixture.answer("set weight be/s1 50%") == "")
        #expect(fixture.answer("get weight be/s1") == "5 (initial 10)\n")
        #expect(fixture.answer("set server be/s1 weight 200") == "")
        #expect(s1.weight == 200)
        #expect(fixture.answer("set weight be/s1 300") == "Absolute weight can only be between 0 and 256 inclusive.\n")
        #expect(fixture.answer("set weight be/s1") == "Require <weight> or <weight%>.\n")
        #expect(
            fixture.answer("set weight st/t1 2")
                == "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n")
        #expect(fixture.answer("set weight st/t1 0") == "")
        #expect(fixture.answer("set maxconn server be/s2 9") == "")
        #expect(fixture.server("s2").maxConnections == 9)
        #expect(fixture.answer("set maxconn server be/s2 9x") == "Trailing garbage in maxconn string\n")
    }

    @Test func setServerAddrMovesTheServerAndReports() throws {
        let fixture = try RuntimeFixture()
        let s1 = fixture.server("s1")
        #expect(
            fixture.answer("set server be/s1 addr 127.0.0.2 port 9100")
                == "IP changed from '127.0.0.1' to '127.0.0.2', port changed from '9000' to '9100' by 'stats socket command'\n")
        #expect(s1.address.ipAddress == "127.0.0.2" && s1.address.port == 9100)
        #expect(fixture.answer("set server be/s1 addr db.example") == "Invalid addr 'db.example' by 'stats socket command'\n")
        #expect(s1.address.ipAddress == "127.0.0.2")
        #expect(fixture.answer("set server be/s1 addr 127.0.0.3 prot 1").hasPrefix("set server <b>/<s> addr requires"))
    }

    @Test func serverLookupErrors() throws {
        let fixture = try RuntimeFixture()
        #expect(fixture.answer("get weight be") == "Require 'backend/server'.\n")
        #expect(fixture.answer("get weight") == "Require 'backend/server'.\n")
        #expect(fixture.answer("get weight nope/s1") == "No such backend.\n")
        #expect(fixture.answer("get weight fe/s1") == "No such backend.\n", "a frontend is no backend")
        #expect(fixture.answer("disable server be/nope") == "No such server.\n")
    }

    @Test func mapCommandsChangeTheLoadedFile() throws {
        let fixture = try RuntimeFixture()
        let path = fixture.directory + "/hosts.map"
        let reference = try #require(fixture.files.loadedReferences(path: path).first)
        #expect(fixture.answer("show map").contains("-1 (\(path)) pattern loaded from file '\(path)' entry_cnt=2\n"))
        #expect(!fixture.answer("show map").contains("block.lst"))
        #expect(fixture.answer("show acl").contains("block.lst"))
        #expect(fixture.answer("show map hosts.map") == "0x1 a.example one\n0x2 b.example two\n", "relative names")
        #expect(fixture.answer("add map hosts.map c.example three") == "")
        #expect(fixture.answer("set map hosts.map a.example ONE") == "")
        #expect(fixture.answer("set map hosts.map #0x2 TWO") == "")
        #expect(fixture.answer("set map hosts.map zzz 1") == "entry not found.\n")
        #expect(
            reference.snapshot().entries.map { "\($0.key)=\($0.value)" }
                == ["a.example=ONE", "b.example=TWO", "c.example=three"])
        #expect(fixture.answer("del map hosts.map #0x1") == "")
        #expect(fixture.answer("del map hosts.map c.example") == "")
        #expect(fixture.answer("del map hosts.map c.example") == "Key not found.\n")
        #expect(fixture.answer("del map hosts.map #zz") == "Malformed identifier. Please use #<id> or <file>.\n")
        #expect(fixture.answer("show map \(path)") == "0x2 b.example TWO\n")
        #expect(fixture.answer("add map hosts.map <<", payload: "k1 v one\nk2 v2") == "")
        #expect(fixture.answer("add map hosts.map <<", payload: "lonely") == "Missing value for key 'lonely'.\n")
        #expect(fixture.answer("show map hosts.map") == "0x2 b.example TWO\n0x4 k1 v one\n0x5 k2 v2\n")
        #expect(fixture.answer("clear map hosts.map") == "")
        #expect(reference.snapshot().entries.isEmpty)
        #expect(reference.version > 0, "lookups rebuild their index")
        #expect(fixture.answer("show map nope.map") == "Unknown map identifier. Please use #<id> or <file>.\n")
        #expect(fixture.answer("show map block.lst") == "Unknown map identifier. Please use #<id> or <file>.\n")
        #expect(fixture.answer("clear map") == "Missing map identifier.\n")
        #expect(
            fixture.answer("add map hosts.map k")
                == "'add map' expects three parameters (map identifier, key and value) or one parameter "
                + "(map identifier) and a payload\n")
        #expect(
            fixture.answer("set map hosts.map k")
                == "'set map' expects three parameters: map identifier, key and value.\n")
    }

    @Test func aclCommandsChangeThePatternList() throws {
        let fixture = try RuntimeFixture()
        #expect(fixture.answer("show acl block.lst") == "0x1 /secret\n0x2 /private\n")
        #expect(fixture.answer("add acl block.lst /admin") == "")
        #expect(fixture.answer("del acl block.lst /secret") == "")
        #expect(fixture.answer("del acl block.lst /secret") == "Key not found.\n")
        #expect(fixture.answer("show acl block.lst") == "0x2 /private\n0x3 /admin\n")
        #expect(fixture.answer("add acl block.lst <<", payload: "/a b\n/c") == "")
        #expect(fixture.answer("show acl block.lst").hasSuffix("0x4 /a b\n0x5 /c\n"))
        #expect(fixture.answer("show acl hosts.map") == "Unknown ACL identifier. Please use #<id> or <file>.\n")
        #expect(fixture.answer("del acl block.lst") == "This command expects two parameters: ACL identifier and key.\n")
        #expect(
            fixture.answer("add acl both.lst x")
                == "This ACL is shared with a map containing samples. You must use the command 'add map' to add values.\n")
        #expect(fixture.answer("add map both.lst k2 v2") == "", "a file loaded both ways changes both ways")
        #expect(fixture.answer("show acl both.lst") == "0x1 k1 v1\n0x2 k2\n", "an ACL's pattern is the whole line")
        #expect(fixture.answer("clear acl both.lst") == "")
        #expect(fixture.answer("show map both.lst") == "")
    }
}
