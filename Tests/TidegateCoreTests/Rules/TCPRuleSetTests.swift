import NIOCore
import Testing
import TidegateConfig

@testable import TidegateCore

/// `tcp-request content` evaluation: HAProxy's content inspection (a miss waits for more data until the evaluation
/// is final) and the outcomes of external (Lua) actions, with a scripted stand-in for the engine.
@Suite("TCP rule sets")
struct TCPRuleSetTests {
    static let location = ConfigLocation(file: "test.cfg", line: 1)

    /// An external action answering with the scripted outcomes in turn (the last one repeats), counting its calls
    /// and the `final` flags it was given.
    final class ScriptedAction: ExternalRuleAction, @unchecked Sendable {
        var outcomes: [ExternalActionOutcome]
        var finals: [Bool] = []

        init(_ outcomes: [ExternalActionOutcome]) { self.outcomes = outcomes }

        func execute(in context: SampleContext, facility: RuleFacility, final: Bool) -> ExternalActionOutcome {
            finals.append(final)
            return outcomes.count > 1 ? outcomes.removeFirst() : outcomes[0]
        }
    }

    final class NamedService: ExternalService, @unchecked Sendable {
        let name: String
        let mode: ServiceMode
        init(name: String, mode: ServiceMode) {
            self.name = name
            self.mode = mode
        }
        func start(in context: SampleContext, io: any ServiceIO) -> any RunningService {
            preconditionFailure("not started in these tests")
        }
    }

    /// Compiles rules written as `<action> [if|unless <condition>]`; `lua.<name>` resolves to `actions[name]`.
    static func compile(
        _ lines: [String], actions: [String: ScriptedAction] = [:], allowsServices: Bool = true
    ) throws -> TCPRuleSet {
        var environment = SampleCompileEnvironment.standard
        environment.externalRules = ExternalRuleResolver(
            action: { name, _, _ throws(SampleCompileError) in
                guard let action = actions[String(name.dropFirst(4))] else {
                    throw SampleCompileError(.invalidArgument, "unknown action \(name)")
                }
                return action
            },
            service: { name throws(SampleCompileError) in
                NamedService(name: name, mode: name.hasSuffix("http") ? .http : .tcp)
            })
        let programs = try lines.map { line -> TCPRuleProgram in
            var words = line.split(separator: " ").map(String.init)
            var condition: RuleCondition?
            if let split = words.firstIndex(where: { $0 == "if" || $0 == "unless" }) {
                condition = RuleCondition(
                    polarity: words[split] == "if" ? .if : .unless, words: Array(words[(split + 1)...]),
                    location: location)
                words = Array(words[..<split])
            }
            let action: TCPRuleAction
            switch words[0] {
            case "accept": action = .accept
            case "reject": action = .reject
            case "use-service": action = .useService(name: words[1])
            case "set-var(txn.seen)": action = .setVariable(.init(scope: .transaction, name: "seen"), expression: ["int(1)"], conditions: [])
            default: action = .custom(name: words[0], arguments: Array(words.dropFirst()))
            }
            return try TCPRuleProgram.compile(
                TCPRule(action: action, condition: condition, location: location), acls: ACLSet(),
                environment: environment, allowsServices: allowsServices
            ).get()
        }
        return TCPRuleSet(rules: programs)
    }

    /// A context whose request channel holds `bytes`; `final` false means more data may come.
    static func context(_ bytes: String, final: Bool) -> SampleContext {
        let context = makeContext()
        context.requestChannel = ChannelBuffer(input: ByteBuffer(string: bytes))
        context.contentFinal = final
        return context
    }

    @Test("a condition on req.len that does not hold yet waits for more data, and decides once the data is there")
    func missWaitsForData() throws {
        let rules = try Self.compile(["accept if { req.len ge 6 }", "reject"])
        let context = Self.context("abc", final: false)
        guard case .wait = rules.apply(in: context, final: false) else {
            Issue.record("3 bytes of 6, inspection not final: expected .wait")
            return
        }
        context.requestChannel?.input.writeString("def")
        guard case .accept = rules.apply(in: context, final: false) else {
            Issue.record("6 bytes: expected .accept")
            return
        }
        guard case .reject = rules.apply(in: Self.context("abc", final: true), final: true) else {
            Issue.record("final evaluation on 3 bytes: the condition fails and the next rule rejects")
            return
        }
    }

    @Test("WAIT_END holds only once the evaluation is final")
    func waitEnd() throws {
        let rules = try Self.compile(["set-var(txn.seen)", "accept if WAIT_END", "reject"])
        let partial = Self.context("", final: false)
        guard case .wait = rules.apply(in: partial) else {
            Issue.record("expected .wait before the end of the inspect-delay")
            return
        }
        #expect(partial.variable(.init(scope: .transaction, name: "seen")) != nil, "rules before the miss ran")
        guard case .accept = rules.apply(in: Self.context("", final: true)) else {
            Issue.record("expected .accept once final")
            return
        }
    }

    @Test("three-valued conditions: OR keeps a pass over a miss, AND a fail over a miss, unless keeps a miss")
    func threeValuedConditions() throws {
        let acls = ACLSet()
        func inspect(_ words: String, unless: Bool = false) throws -> Condition.Inspection {
            let condition = try Condition(
                words: words.split(separator: " ").map(String.init), unless: unless, acls: acls)
            return condition.inspect(in: Self.context("abc", final: false))
        }
        let short = "{ req.len ge 6 }"
        #expect(try inspect(short) == .miss)
        #expect(try inspect(short, unless: true) == .miss)
        #expect(try inspect("! \(short)") == .miss)
        #expect(try inspect("\(short) || { src 192.0.2.10 }") == .pass)
        #expect(try inspect("\(short) { src 10.9.9.9 }") == .fail)
        #expect(try inspect("\(short) { src 192.0.2.10 }") == .miss)
        #expect(try inspect("{ req.len ge 3 }") == .pass)
        // Final: no miss any more.
        let condition = try Condition(words: ["{", "req.len", "ge", "6", "}"], acls: acls)
        #expect(condition.inspect(in: Self.context("abc", final: true)) == .fail)
    }

    @Test("external actions: continue goes on, stop accepts, 500 is an internal error, other answers reject, abort")
    func externalOutcomes() throws {
        let cases: [(ExternalActionOutcome, String)] = [
            (.continue, "reject"), (.stop, "accept"), (.respond(.error(500)), "error"), (.respond(.error(403)), "reject"),
            (.abort, "abort"),
        ]
        for (outcome, expected) in cases {
            let rules = try Self.compile(["lua.act", "reject"], actions: ["act": ScriptedAction([outcome])])
            let verdict = rules.apply(in: Self.context("", final: true))
            #expect("\(verdict)" == expected, "\(outcome)")
        }
    }

    @Test("a waiting action suspends the rules at its index; resuming skips its condition; final turns a wait into an error")
    func suspendAndResume() throws {
        let action = ScriptedAction([.suspend, .suspend, .continue])
        let rules = try Self.compile(["set-var(txn.seen)", "lua.act if { req.len ge 1 }", "accept"], actions: ["act": action])
        let context = Self.context("x", final: false)
        guard case .suspend(let index) = rules.apply(in: context, final: false) else {
            Issue.record("expected .suspend")
            return
        }
        #expect(index == 1)
        // The condition would fail now; resuming does not evaluate it again.
        context.requestChannel?.input.clear()
        guard case .suspend(1) = rules.apply(in: context, from: index, resuming: true, final: false) else {
            Issue.record("expected .suspend(1) again")
            return
        }
        guard case .accept = rules.apply(in: context, from: index, resuming: true, final: false) else {
            Issue.record("expected .accept after the action continued")
            return
        }
        #expect(action.finals == [false, false, false])
        let late = try Self.compile(["lua.act"], actions: ["act": ScriptedAction([.suspend])])
        guard case .error = late.apply(in: Self.context("", final: true), final: true) else {
            Issue.record("an action still waiting when the rules must finish is an internal error")
            return
        }
    }

    @Test("use-service needs a TCP service and mode tcp")
    func useService() throws {
        let rules = try Self.compile(["use-service lua.echo"])
        guard case .useService(let service) = rules.apply(in: Self.context("", final: true)) else {
            Issue.record("expected .useService")
            return
        }
        #expect(service.name == "lua.echo")
        #expect(throws: (any Error).self) { try Self.compile(["use-service lua.http"]) }
        #expect(throws: (any Error).self) { try Self.compile(["use-service lua.echo"], allowsServices: false) }
    }
}

@Suite("Channel buffers")
struct ChannelBufferTests {
    @Test func forwardTakeAndWaiters() {
        let channel = ChannelBuffer(input: ByteBuffer(string: "hello world"), capacity: 16)
        #expect(channel.room == 5)
        #expect(channel.forward(6) == 6)
        #expect(channel.forward(100) == 5)
        #expect(String(buffer: channel.output) == "hello world")
        channel.input.writeString("!")
        #expect(String(buffer: channel.take(all: false)) == "hello world")
        #expect(channel.input.readableBytes == 1)
        channel.output.writeString("out")
        #expect(String(buffer: channel.take(all: true)) == "out!")
        #expect(channel.input.readableBytes == 0 && channel.output.readableBytes == 0)

        var woken = 0
        channel.whenChanged { woken += 1 }
        #expect(channel.mayReceive)
        channel.isFinal = true
        #expect(!channel.mayReceive)
        channel.changed()
        channel.changed()
        #expect(woken == 1)
    }
}
