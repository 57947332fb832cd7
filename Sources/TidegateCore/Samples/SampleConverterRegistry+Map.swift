extension SampleConverterRegistry {
    /// `map`, `map_<match>` and `map_<match>_<output>` for the match methods str, beg, sub, dir,
    /// dom, end, reg, int, ip, len and the outputs str, int, ip.
    mutating func registerMapConverters() {
        let methods: [(String, PatternMatchMethod)] = [
            ("str", .str), ("beg", .beg), ("sub", .sub), ("dir", .dir), ("dom", .dom), ("end", .end),
            ("reg", .reg), ("int", .int), ("ip", .ip), ("len", .len),
        ]
        let outputs: [(String, SampleType)] = [("str", .str), ("int", .sint), ("ip", .addr)]
        register(mapConverter("map", method: .str, output: .str))
        for (methodName, method) in methods {
            register(mapConverter("map_\(methodName)", method: method, output: .str))
            for (outputName, output) in outputs {
                register(mapConverter("map_\(methodName)_\(outputName)", method: method, output: output))
            }
        }
    }

    private func mapConverter(_ name: String, method: PatternMatchMethod, output: SampleType)
        -> SampleConverterDescriptor
    {
        SampleConverterDescriptor(
            name: name, inputType: method.sampleType == .sint ? .sint : method.sampleType, outputType: output,
            minimumArguments: 1, maximumArguments: 2,
            compileArguments: { raw, environment throws(SampleCompileError) in
                let path = environment.resolve(path: raw[0])
                let matcher = try environment.files.matcher(path: path, method: method, output: output)
                var fallback: SampleArgument = .none
                if raw.count > 1 {
                    fallback = .sample(
                        try MapMatcher.parseValue(raw[1], as: output, file: path, line: 0))
                }
                return [.map(matcher), fallback]
            },
            convert: { input, args, _ in
                guard case .map(let matcher) = args[0] else { return nil }
                if let value = matcher.lookup(input) { return value }
                if case .sample(let fallback) = args[1] { return fallback }
                return nil
            })
    }
}
