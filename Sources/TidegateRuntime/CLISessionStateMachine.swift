/// The conversation of one runtime API connection, without any socket (HAProxy's CLI applet states):
///
/// - Non-interactive (the default): the client sends a line, possibly holding several requests separated by `;`;
///   each is answered, its answer followed by an empty line, and the connection closes once no input is left.
/// - `prompt` toggles the interactive mode: after each answer comes an empty line and the prompt `> `, and the
///   connection stays open until `quit`, the end of the input or the idle timeout.
/// - A request ending with the word `<<` takes a payload: the lines that follow, up to an empty line (`+ ` is the
///   prompt for each of them in interactive mode).
///
/// The owner feeds input with `receive`, asks `nextAction()` what to do, runs the requests it gets, and reports
/// each answer's end with `requestFinished(_:)`.
struct CLISessionStateMachine {
    enum Action: Equatable {
        /// Run this request, then call `requestFinished(_:)`.
        case execute(words: [String], payload: String?)
        /// Send these bytes (a payload prompt), then call `nextAction()` again.
        case write(String)
        /// Nothing complete yet: wait for more input.
        case wait
        /// Close the connection.
        case close
    }

    /// What a finished request does to the session.
    enum Effect: Equatable {
        case none
        /// `prompt`: toggle the interactive mode.
        case togglePrompt
        /// `quit`: close without further output.
        case quit
    }

    /// A request that takes a payload, while its lines arrive.
    private struct PendingPayload {
        var words: [String]
        var lines: [String] = []
        var size = 0
    }

    private enum Phase {
        case reading
        case executing
        case closed
    }

    /// The most bytes a request (or a payload) may take; past it the connection closes.
    let maximumRequestSize: Int
    private(set) var interactive = false
    private var buffer: [UInt8] = []
    private var inputEnded = false
    private var payload: PendingPayload?
    private var phase = Phase.reading
    /// The payload prompt was sent for the line now awaited.
    private var payloadPromptSent = false

    init(maximumRequestSize: Int = 16384) {
        self.maximumRequestSize = maximumRequestSize
    }

    /// Whether input is still awaited (the idle timeout applies).
    var isWaitingForInput: Bool { phase == .reading }

    /// Bytes received from the client.
    mutating func receive(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The client will send nothing more.
    mutating func endOfInput() {
        inputEnded = true
    }

    /// The input received and not parsed yet, handed to a command that reads the connection itself (a Lua
    /// command's `applet:receive()`); give back what it did not read with `restoreInput`.
    mutating func takeInput() -> [UInt8] {
        defer { buffer.removeAll() }
        return buffer
    }

    /// Puts back input a command did not read, before anything received since.
    mutating func restoreInput(_ bytes: [UInt8]) {
        buffer.insert(contentsOf: bytes, at: 0)
    }

    /// What to do next while reading.
    mutating func nextAction() -> Action {
        guard phase == .reading else { return phase == .closed ? .close : .wait }
        if payload != nil { return nextPayloadAction() }
        guard let end = CLICommandLine.requestEnd(in: buffer) else {
            if inputEnded || buffer.count > maximumRequestSize { return close() }
            return .wait
        }
        var request = buffer[..<end.index]
        buffer.removeSubrange(...end.index)
        if end.isLineFeed, request.last == UInt8(ascii: "\r") { request = request.dropLast() }
        var words = CLICommandLine.words(request)
        if words.last == "<<" {
            words.removeLast()
            payload = PendingPayload(words: words)
            payloadPromptSent = false
            return nextPayloadAction()
        }
        phase = .executing
        return .execute(words: words, payload: nil)
    }

    private mutating func nextPayloadAction() -> Action {
        guard var pending = payload else { return .wait }
        if interactive && !payloadPromptSent {
            payloadPromptSent = true
            return .write("+ ")
        }
        guard let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) else {
            if inputEnded || pending.size + buffer.count > maximumRequestSize { return close() }
            return .wait
        }
        var line = buffer[..<newline]
        buffer.removeSubrange(...newline)
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        payloadPromptSent = false
        guard !line.isEmpty else {
            payload = nil
            phase = .executing
            return .execute(words: pending.words, payload: pending.lines.joined(separator: "\n"))
        }
        pending.size += line.count + 1
        guard pending.size <= maximumRequestSize else { return close() }
        pending.lines.append(String(decoding: line, as: UTF8.self))
        payload = pending
        return nextPayloadAction()
    }

    /// The request given by `.execute` was answered. Returns what ends the answer (an empty line, and the prompt in
    /// interactive mode) and whether the connection closes after it.
    mutating func requestFinished(_ effect: Effect) -> (suffix: String, close: Bool) {
        guard phase == .executing else { return ("", phase == .closed) }
        switch effect {
        case .quit:
            phase = .closed
            return ("", true)
        case .togglePrompt:
            interactive.toggle()
        case .none:
            break
        }
        phase = .reading
        if interactive { return ("\n> ", false) }
        if buffer.isEmpty {
            phase = .closed
            return ("\n", true)
        }
        return ("\n", false)
    }

    private mutating func close() -> Action {
        phase = .closed
        return .close
    }
}
