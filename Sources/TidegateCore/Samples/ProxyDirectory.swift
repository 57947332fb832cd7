/// What sample fetches may ask about backends and servers (`nbsrv`, `srv_is_up`). The proxy
/// implements it over its live server state.
public protocol ProxyDirectory: AnyObject {
    /// Usable servers of `backend` (HAProxy's `nbsrv`), or nil when there is no such backend.
    func usableServerCount(backend: String) -> Int?
    /// Whether `server` of `backend` is up, or nil when there is no such server.
    func isServerUp(backend: String, server: String) -> Bool?
}
