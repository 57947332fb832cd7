import TidegateConfig

extension SampleConverterRegistry {
    /// `add sub mul div mod neg and or xor cpl not bool odd even`, saturating as HAProxy does.
    mutating func registerArithmeticConverters() {
        register(operatorConverter("add") { a, b in Self.saturatingAdd(a, b) })
        register(
            operatorConverter("sub") { a, b in
                b == .min ? Self.saturatingAdd(Self.saturatingAdd(a, .max), 1) : Self.saturatingAdd(a, -b)
            })
        register(
            operatorConverter("mul") { a, b in
                let (result, overflow) = a.multipliedReportingOverflow(by: b)
                if !overflow { return result }
                return (a < 0) == (b < 0) ? .max : .min
            })
        register(
            operatorConverter("div") { a, b in
                if b == 0 { return .max }
                if a == .min && b == -1 { return .max }
                return a / b
            })
        register(
            operatorConverter("mod") { a, b in
                if b == 0 || (a == .min && b == -1) { return 0 }
                return a % b
            })
        register(operatorConverter("and") { a, b in a & b })
        register(operatorConverter("or") { a, b in a | b })
        register(operatorConverter("xor") { a, b in a ^ b })
        register(
            .init(name: "neg", inputType: .sint, outputType: .sint) { input, _, _ in
                guard case .sint(let v) = input else { return nil }
                return .sint(v == .min ? .max : -v)
            })
        register(
            .init(name: "cpl", inputType: .sint, outputType: .sint) { input, _, _ in
                guard case .sint(let v) = input else { return nil }
                return .sint(~v)
            })
        register(
            .init(name: "not", inputType: .sint, outputType: .bool) { input, _, _ in
                guard case .sint(let v) = input else { return nil }
                return .bool(v == 0)
            })
        register(
            .init(name: "bool", inputType: .sint, outputType: .bool) { input, _, _ in
                guard case .sint(let v) = input else { return nil }
                return .bool(v != 0)
            })
        register(
            .init(name: "odd", inputType: .sint, outputType: .bool) { input, _, _ in
                guard case .sint(let v) = input else { return nil }
                return .bool(v & 1 == 1)
            })
        register(
            .init(name: "even", inputType: .sint, outputType: .bool) { input, _, _ in
                guard case .sint(let v) = input else { return nil }
                return .bool(v & 1 == 0)
            })
    }

    static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.addingReportingOverflow(b)
        if !overflow { return result }
        return a < 0 ? .min : .max
    }

    /// An integer operand: a variable name (`txn.x`) or an integer literal.
    static let integerOrVariable: SampleFetchDescriptor.CompileArguments = { raw, _ throws(SampleCompileError) in
        let text = raw[0]
        if case .success(let name) = VariableName.parse(text) { return [.variable(name)] }
        guard let value = Int64(text) else {
            throw SampleCompileError(.invalidArgument, "expects an integer or a variable name, got '\(text)'")
        }
        return [.integer(value)]
    }

    /// The value of an operand argument: the literal, or the variable cast to an integer.
    static func operand(_ argument: SampleArgument, _ context: SampleContext) -> Int64? {
        switch argument {
        case .integer(let value): return value
        case .variable(let name): return context.variable(name)?.integerValue
        default: return nil
        }
    }

    private func operatorConverter(_ name: String, _ operation: @escaping @Sendable (Int64, Int64) -> Int64)
        -> SampleConverterDescriptor
    {
        SampleConverterDescriptor(
            name: name, inputType: .sint, outputType: .sint, minimumArguments: 1, maximumArguments: 1,
            compileArguments: Self.integerOrVariable,
            convert: { input, args, context in
                guard case .sint(let value) = input, let other = Self.operand(args[0], context) else { return nil }
                return .sint(operation(value, other))
            })
    }
}
