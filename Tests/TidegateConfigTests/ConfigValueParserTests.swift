import Testing

@testable import TidegateConfig

@Suite struct ConfigValueParserTests {
    @Test func timesAreConvertedToMilliseconds() throws {
        #expect(try ConfigValueParser.milliseconds("250").get() == 250)
        #expect(try ConfigValueParser.milliseconds("250ms").get() == 250)
        #expect(try ConfigValueParser.milliseconds("1500us").get() == 2)
        #expect(try ConfigValueParser.milliseconds("5s").get() == 5000)
        #expect(try ConfigValueParser.milliseconds("2m").get() == 120_000)
        #expect(try ConfigValueParser.milliseconds("1h").get() == 3_600_000)
        #expect(try ConfigValueParser.milliseconds("1d").get() == 86_400_000)
    }

    @Test func badTimesAreRejected() {
        for text in ["", "s", "10x", "1.5s", "-1", "30d"] {
            #expect(throws: ConfigValueError.self) { try ConfigValueParser.milliseconds(text).get() }
        }
        #expect(
            ConfigValueParser.milliseconds("10x")
                == .failure(
                    ConfigValueError("unexpected character 'x' in time value '10x' (units are us, ms, s, m, h, d)")
                )
        )
    }

    @Test func integersAndSizes() throws {
        #expect(try ConfigValueParser.integer("42").get() == 42)
        #expect(throws: ConfigValueError.self) { try ConfigValueParser.integer("4x2").get() }
        #expect(throws: ConfigValueError.self) { try ConfigValueParser.integer("300", in: 0...256).get() }
        #expect(try ConfigValueParser.size("16k").get() == 16384)
        #expect(try ConfigValueParser.size("1m").get() == 1_048_576)
        #expect(throws: ConfigValueError.self) { try ConfigValueParser.size("1kb").get() }
    }
}
