/// `mode`: whether a proxy forwards bytes (`tcp`, HAProxy's default) or analyses HTTP/1.1 (`http`).
public enum ProxyMode: String, Sendable, Hashable, CaseIterable {
    case tcp
    case http
}
