/// Run-time changes to a backend's servers, as the Lua `Server` methods and the runtime API (`set server`,
/// `set weight`, `enable server`...) make them: the server's state changes, then queued streams are woken when the
/// server may take more of them.
extension Backend {
    /// HAProxy's three exclusive administrative states of a server.
    public enum AdministrativeState: String, Sendable, CaseIterable {
        /// Normal mode (`set_ready()`, `enable server`, `set server ... state ready`).
        case ready
        /// No new load-balanced traffic; streams in progress go on (`set_drain()`, `state drain`).
        case drain
        /// No traffic at all (`set_maint()`, `disable server`, `state maint`).
        case maint
    }

    /// Puts `server` in `state`.
    public func setAdministrativeState(_ state: AdministrativeState, of server: Server) {
        server.setAdminDown(state == .maint)
        server.setDrain(state == .drain)
        if state == .ready { serverCapacityChanged() }
    }

    /// Forces the operational state of `server` (Lua's `check_force_up()`, `check_force_nolb()`,
    /// `check_force_down()`).
    public func forceOperationalState(_ state: Server.OperationalState, of server: Server) {
        server.setOperationalState(state)
        if state == .running { serverCapacityChanged() }
    }

    /// Sets the weight of `server` from `text` (`<n>` or `<n>%` of the configured weight), as HAProxy parses it.
    /// Returns HAProxy's error message, or nil once applied.
    public func changeWeight(of server: Server, to text: String) -> String? {
        if let error = server.changeWeight(text, dynamicWeights: hasDynamicWeights) { return error }
        serverCapacityChanged()
        return nil
    }

    /// Sets the `maxconn` of `server` from `text`, as HAProxy parses it. Returns HAProxy's error message, or nil once
    /// applied.
    public func changeMaxConnections(of server: Server, to text: String) -> String? {
        if let error = server.changeMaxConnections(text) { return error }
        serverCapacityChanged()
        return nil
    }
}
