import NIOCore
import TidegateConfig
import TidegateHTTP

/// One compiled HTTP rule: its action with every log-format, sample expression and regex
/// compiled once at startup, and its optional condition.
public struct HTTPRuleProgram: Sendable {
    enum Outcome {
        /// Continue with the next rule.
        case next
        /// Stop evaluating this rule set (`allow`).
        case stop
        case respond(LocalResponse)
        /// An external action is waiting; evaluate this rule again when woken.
        case suspend
        /// Close the client connection without an answer.
        case abort
        /// Hand the stream to a service.
        case service(any ExternalService)
    }

    enum Action: Sendable {
        case setHeader(String, LogFormat)
        case addHeader(String, LogFormat)
        case deleteHeader(String, HTTPRuleAction.HeaderMatch, CompiledRegex?)
        case replaceHeader(String, CompiledRegex, LogFormat, perValue: Bool)
        case setPath(LogFormat)
        case setPathQuery(LogFormat)
        case setQuery(LogFormat)
        case setURI(LogFormat)
        case setMethod(LogFormat)
        case setStatus(Int, String?)
        case setVariable(VariableName, SampleExpression, [HTTPRuleAction.VariableSetCondition])
        case setVariableFormat(VariableName, LogFormat, [HTTPRuleAction.VariableSetCondition])
        case unsetVariable(VariableName)
        case allow
        case respond(ReturnTemplate, close: Bool)
        case redirect(HTTPRedirectConfiguration, LogFormat)
        case setLogLevel(HTTPRuleAction.LogLevelSetting)
        case external(any ExternalRuleAction)
        case service(any ExternalService)
    }

    let action: Action
    let condition: Condition?
    public let location: ConfigLocation

    static func compile(
        _ rule: HTTPRule, acls: ACLSet, environment: SampleCompileEnvironment, facility: RuleFacility
    ) -> Result<HTTPRuleProgram, ConfigDiagnostic> {
        do throws(SampleCompileError) {
            let condition = try Condition.compile(rule.condition, acls: acls, environment: environment)
            let action = try compileAction(rule.action, environment: environment, facility: facility)
            return .success(HTTPRuleProgram(action: action, condition: condition, location: rule.location))
        } catch {
            return .failure(.alert("\(error)", at: rule.location))
        }
    }

    private static func compileAction(
        _ action: HTTPRuleAction, environment: SampleCompileEnvironment, facility: RuleFacility
    ) throws(SampleCompileError) -> Action {
        func format(_ text: String) throws(SampleCompileError) -> LogFormat {
            try LogFormat(text, options: .plain, environment: environment)
        }
        func headerValue(_ text: String) throws(SampleCompileError) -> LogFormat {
            try LogFormat(text, options: .httpValue, environment: environment)
        }
        switch action {
        case .setHeader(let name, let value): return .setHeader(name, try headerValue(value))
        case .addHeader(let name, let value): return .addHeader(name, try headerValue(value))
        case .deleteHeader(let name, let match):
            return .deleteHeader(name, match, match == .regex ? try CompiledRegex(name, ignoresCase: true) : nil)
        case .replaceHeader(let name, let regex, let value):
            return .replaceHeader(name, try CompiledRegex(regex), try format(value), perValue: false)
        case .replaceValue(let name, let regex, let value):
            return .replaceHeader(name, try CompiledRegex(regex), try format(value), perValue: true)
        case .setPath(let value): return .setPath(try format(value))
        case .setPathQuery(let value): return .setPathQuery(try format(value))
        case .setQuery(let value): return .setQuery(try format(value))
        case .setURI(let value): return .setURI(try format(value))
        case .setMethod(let value): return .setMethod(try format(value))
        case .setStatus(let code, let reason): return .setStatus(code, reason)
        case .setVariable(let name, let words, let conditions):
            return .setVariable(name, try SampleExpression(words.joined(separator: " "), environment: environment), conditions)
        case .setVariableFormat(let name, let value, let conditions):
            return .setVariableFormat(name, try format(value), conditions)
        case .unsetVariable(let name): return .unsetVariable(name)
        case .allow: return .allow
        case .deny(let config): return .respond(try ReturnTemplate(config, environment: environment), close: false)
        case .return(let config): return .respond(try ReturnTemplate(config, environment: environment), close: false)
        case .redirect(let config): return .redirect(config, try format(config.value))
        case .setLogLevel(let level): return .setLogLevel(level)
        case .capture:
            throw SampleCompileError(.invalidArgument, "'capture' is not supported yet")
        case .useService(let name):
            guard facility == .httpRequest else {
                throw SampleCompileError(.invalidArgument, "'use-service' is only allowed in 'http-request' rules")
            }
            guard let resolver = environment.externalRules else {
                throw SampleCompileError(.invalidArgument, "'use-service \(name)': no Lua script is loaded (lua-load)")
            }
            let service = try resolver.service(name)
            guard service.mode == .http else {
                throw SampleCompileError(.invalidArgument, "'use-service \(name)': a TCP service cannot be used in HTTP rules")
            }
            return .service(service)
        case .custom(let name, let arguments):
            guard let resolver = environment.externalRules else {
                throw SampleCompileError(.invalidArgument, "action '\(name)': no Lua script is loaded (lua-load)")
            }
            return .external(try resolver.action(name, arguments, facility))
        }
    }

    /// Runs the action against the context's current head.
    func execute(in context: SampleContext, facility: RuleFacility) -> Outcome {
        switch action {
        case .external(let external):
            // http-after-response is the last stage: as in HAProxy, an action there may not wait (ACT_OPT_FINAL).
            switch external.execute(in: context, facility: facility, final: facility == .httpAfterResponse) {
            case .continue: return .next
            case .stop: return .stop
            case .respond(let response): return .respond(response)
            case .abort: return .abort
            case .suspend: return .suspend
            }
        case .service(let service):
            return .service(service)
        case .setHeader(let name, let value):
            let rendered = value.render(in: context)
            context.editCurrentHead { $0.set(name: name, value: rendered) }
        case .addHeader(let name, let value):
            let rendered = value.render(in: context)
            context.editCurrentHead { $0.add(name: name, value: rendered) }
        case .deleteHeader(let name, let match, let regex):
            context.editCurrentHead { head in
                if match == .exact {
                    head.remove(named: name)
                    return
                }
                let lowered = name.lowercased()
                let doomed = head.fields.indices.filter { i in
                    let fieldName = head.name(at: i).lowercased()
                    switch match {
                    case .exact: return fieldName == lowered
                    case .prefix: return fieldName.hasPrefix(lowered)
                    case .suffix: return fieldName.hasSuffix(lowered)
                    case .substring: return fieldName.contains(lowered)
                    case .regex: return regex?.matches(fieldName) ?? false
                    }
                }
                head.remove(at: doomed)
            }
        case .replaceHeader(let name, let regex, let value, let perValue):
            let template = RegexTemplate(value.render(in: context))
            context.editCurrentHead { head in
                for i in head.indexes(named: name) {
                    let original = head.value(at: i)
                    let replaced: String
                    if perValue {
                        replaced = original.split(separator: ",", omittingEmptySubsequences: false).map { part in
                            let trimmed = part.trimmingCharacters(in: " \t")
                            return String(buffer: regex.substitute(ByteBuffer(string: trimmed), template: template, global: false))
                        }.joined(separator: ", ")
                    } else {
                        replaced = String(buffer: regex.substitute(ByteBuffer(string: original), template: template, global: false))
                    }
                    if replaced != original { head.setValue(at: i, to: replaced) }
                }
            }
        case .setPath(let value):
            let rendered = value.render(in: context)
            context.editCurrentHead { $0.setPath(rendered) }
        case .setPathQuery(let value):
            let rendered = value.render(in: context)
            context.editCurrentHead { $0.setTarget(rendered) }
        case .setQuery(let value):
            let rendered = value.render(in: context)
            context.editCurrentHead { $0.setQuery(rendered) }
        case .setURI(let value):
            let rendered = value.render(in: context)
            context.editCurrentHead { $0.setTarget(rendered) }
        case .setMethod(let value):
            let rendered = value.render(in: context)
            context.editCurrentHead { $0.setMethod(rendered) }
        case .setStatus(let code, let reason):
            context.editCurrentHead { $0.setStatus(code, reason: reason) }
        case .setVariable(let name, let expression, let conditions):
            let value = expression.evaluate(in: context)
            if let value, Self.variableConditionsHold(conditions, name: name, newValue: value, context: context) {
                context.setVariable(name, to: value.detached())
            }
        case .setVariableFormat(let name, let value, let conditions):
            let sample = Sample.string(value.render(in: context))
            if Self.variableConditionsHold(conditions, name: name, newValue: sample, context: context) {
                context.setVariable(name, to: sample)
            }
        case .unsetVariable(let name):
            context.setVariable(name, to: nil)
        case .allow:
            return .stop
        case .respond(let template, let close):
            return .respond(template.response(in: context, close: close))
        case .redirect(let config, let value):
            return .respond(Self.redirect(config, target: value.render(in: context), context: context))
        case .setLogLevel(let level):
            context.logSilenced = level == .silent
        }
        return .next
    }

    /// HAProxy's `set-var` conditions (`ifexists`, `ifnotset`, `ifgt`...): all must hold.
    static func variableConditionsHold(
        _ conditions: [HTTPRuleAction.VariableSetCondition], name: VariableName, newValue: Sample,
        context: SampleContext
    ) -> Bool {
        guard !conditions.isEmpty else { return true }
        let current = context.variable(name)
        for condition in conditions {
            switch condition {
            case .ifExists, .ifSet: if current == nil { return false }
            case .ifNotExists, .ifNotSet: if current != nil { return false }
            case .ifEmpty: if (newValue.buffer?.readableBytes ?? 1) != 0 { return false }
            case .ifNotEmpty: if (newValue.buffer?.readableBytes ?? 1) == 0 { return false }
            case .ifGreater:
                guard let old = current?.integerValue, let new = newValue.integerValue, new > old else { return false }
            case .ifLess:
                guard let old = current?.integerValue, let new = newValue.integerValue, new < old else { return false }
            }
        }
        return true
    }

    private static func redirect(
        _ config: HTTPRedirectConfiguration, target: String, context: SampleContext
    ) -> LocalResponse {
        let request = context.request
        var location: String
        switch config.kind {
        case .location:
            location = target
        case .prefix:
            let path = request?.path ?? "/"
            location = (target == "/" ? "" : target) + path
            if !config.dropQuery, let query = request?.query { location += "?" + query }
        case .scheme:
            let host = request?.firstValue(named: "host") ?? ""
            location = target + "://" + host + (request?.path ?? "/")
            if !config.dropQuery, let query = request?.query { location += "?" + query }
        }
        if config.appendSlash && !location.hasSuffix("/") && config.kind != .location { location += "/" }
        var out = ByteBuffer()
        out.writeString("HTTP/1.1 \(config.code) \(HTTPStatusPhrase.phrase(for: config.code))\r\n")
        out.writeString("content-length: 0\r\nlocation: \(location)\r\n")
        if let cookie = config.setCookie { out.writeString("set-cookie: \(cookie)\r\n") }
        if let cookie = config.clearCookie { out.writeString("set-cookie: \(cookie); Max-Age=0; Expires=Thu, 01-Jan-1970 00:00:01 GMT\r\n") }
        out.writeString("\r\n")
        return .raw(status: config.code, out, close: false)
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var sub = Substring(self)
        while let f = sub.first, set.contains(f) { sub = sub.dropFirst() }
        while let l = sub.last, set.contains(l) { sub = sub.dropLast() }
        return String(sub)
    }
}

