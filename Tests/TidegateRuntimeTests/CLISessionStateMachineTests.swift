import Testing

@testable import TidegateRuntime

/// The conversation of one connection, without sockets: modes, pipelined requests, payloads, closing.
@Suite struct CLISessionStateMachineTests {
    /// Feeds `input`, runs every request with an answer `<words>` and returns the transcript of what was sent, the
    /// requests in order, and whether the session closed.
    func converse(
        _ input: String, ended: Bool = false, session: inout CLISessionStateMachine,
        effects: [String: CLISessionStateMachine.Effect] = ["prompt": .togglePrompt, "quit": .quit]
    ) -> (output: String, requests: [[String]], closed: Bool) {
        session.receive(Array(input.utf8))
        if ended { session.endOfInput() }
        var output = ""
        var requests: [[String]] = []
        while true {
            switch session.nextAction() {
            case .wait:
                return (output, requests, false)
            case .close:
                return (output, requests, true)
            case .write(let text):
                output += text
            case .execute(let words, let payload):
                requests.append(words + (payload.map { ["payload:" + $0] } ?? []))
                let effect = effects[words.first ?? ""] ?? .none
                if effect == .none, !words.isEmpty { output += words.joined(separator: "_") + "\n" }
                let (suffix, close) = session.requestFinished(effect)
                output += suffix
                if close { return (output, requests, true) }
            }
        }
    }

    @Test func nonInteractiveRunsEveryRequestOfTheLineThenCloses() {
        var session = CLISessionStateMachine()
        let result = converse("show info;show stat;get weight be/s1\n", session: &session)
        #expect(result.requests == [["show", "info"], ["show", "stat"], ["get", "weight", "be/s1"]])
        #expect(result.output == "show_info\n\nshow_stat\n\nget_weight_be/s1\n\n", "an empty line ends each answer")
        #expect(result.closed)
    }

    @Test func aPartialLineWaitsAndCarriageReturnsAreDropped() {
        var session = CLISessionStateMachine()
        var result = converse("show in", session: &session)
        #expect(result.requests.isEmpty && !result.closed)
        result = converse("fo\r\n", session: &session)
        #expect(result.requests == [["show", "info"]])
        #expect(result.closed)
    }

    @Test func pipelinedLinesAreAllAnsweredBeforeClosing() {
        var session = CLISessionStateMachine()
        let result = converse("show info\nshow stat\n", session: &session)
        #expect(result.requests == [["show", "info"], ["show", "stat"]])
        #expect(result.closed)
    }

    @Test func promptKeepsTheConnectionOpenWithAPromptAfterEachAnswer() {
        var session = CLISessionStateMachine()
        var result = converse("prompt\n", session: &session)
        #expect(result.output == "\n> ")
        #expect(!result.closed)
        #expect(session.interactive)
        result = converse("show info\n", session: &session)
        #expect(result.output == "show_info\n\n> ")
        #expect(!result.closed)
        result = converse("quit\n", session: &session)
        #expect(result.output == "")
        #expect(result.closed)
    }

    @Test func promptAgainLeavesTheInteractiveModeAndClosesAfterTheLine() {
        var session = CLISessionStateMachine()
        _ = converse("prompt\n", session: &session)
        let result = converse("prompt;show info\n", session: &session)
        #expect(result.requests == [["prompt"], ["show", "info"]])
        #expect(result.output == "\nshow_info\n\n")
        #expect(result.closed)
    }

    @Test func theEndOfInputClosesAndAnUnterminatedRequestIsNotRun() {
        var session = CLISessionStateMachine()
        _ = converse("prompt\n", session: &session)
        let result = converse("show info", ended: true, session: &session)
        #expect(result.requests.isEmpty)
        #expect(result.closed)
    }

    @Test func aPayloadRunsUntilAnEmptyLine() {
        var session = CLISessionStateMachine()
        let result = converse("add map m.map <<\nk1 v1\nk2 value two\n\n", session: &session)
        #expect(result.requests == [["add", "map", "m.map", "payload:k1 v1\nk2 value two"]])
        #expect(result.closed)
    }

    @Test func payloadLinesArePromptedInInteractiveMode() {
        var session = CLISessionStateMachine()
        _ = converse("prompt\n", session: &session)
        var result = converse("add acl a.lst <<\n/x\n", session: &session)
        #expect(result.output == "+ + ")
        #expect(result.requests.isEmpty)
        result = converse("\n", session: &session)
        #expect(result.requests == [["add", "acl", "a.lst", "payload:/x"]])
        #expect(result.output == "add_acl_a.lst\n\n> ")
    }

    @Test func aRequestLargerThanTheLimitCloses() {
        var session = CLISessionStateMachine(maximumRequestSize: 16)
        let result = converse(String(repeating: "x", count: 40), session: &session)
        #expect(result.closed)
        #expect(result.requests.isEmpty)
    }

    @Test func inputTakenByAnAppletComesBackBeforeNewInput() {
        var session = CLISessionStateMachine()
        session.receive(Array("lua cmd\nrest;show info\n".utf8))
        #expect(session.nextAction() == .execute(words: ["lua", "cmd"], payload: nil))
        let taken = session.takeInput()
        #expect(String(decoding: taken, as: UTF8.self) == "rest;show info\n")
        session.restoreInput(Array(taken.dropFirst(5)))
        #expect(session.requestFinished(.none) == ("\n", false))
        #expect(session.nextAction() == .execute(words: ["show", "info"], payload: nil))
    }
}
