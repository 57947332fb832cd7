import NIOCore

extension LogFormat {
    /// `option httplog`.
    public static let httpLogFormat =
        "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
    /// `option httplog clf`.
    public static let httpLogCLFFormat =
        "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl"
    /// `option tcplog`.
    public static let tcpLogFormat = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq"
    /// `option tcplog clf`.
    public static let tcpLogCLFFormat =
        "%{+Q}o %{-Q}ci - - [%T] \"TCP \" 000 %B \"\" \"\" %cp %ms %ft %b %s %Th %Tw %Tc %Tt %U %ts-- %ac %fc %bc %sc %rc %sq %bq \"\" \"\" "

    // The predefined strings are fixed and valid; failing to compile them is a programming error.

    /// The compiled `option httplog` format.
    public static let httpLog = try! LogFormat(httpLogFormat)
    /// The compiled `option httplog clf` format.
    public static let httpLogCLF = try! LogFormat(httpLogCLFFormat)
    /// The compiled `option tcplog` format.
    public static let tcpLog = try! LogFormat(tcpLogFormat, options: .tcpLogFormat)
    /// The compiled `option tcplog clf` format.
    public static let tcpLogCLF = try! LogFormat(tcpLogCLFFormat, options: .tcpLogFormat)

    /// The line HAProxy logs at accept time when no log format option is set:
    /// `Connect from <ip>:<port> to <ip>:<port> (<frontend>/<HTTP|TCP>)`.
    public static func connectLine(_ context: SampleContext, httpMode: Bool) -> String {
        func text(_ address: SocketAddress?) -> String {
            guard let address else { return "-:0" }
            switch Sample.address(address) {
            case .ipv4(let v4)?: return "\(v4):\(address.port ?? 0)"
            case .ipv6(let v6)?: return "\(v6):\(address.port ?? 0)"
            default: return "unix:\(address.port ?? 0)"
            }
        }
        return "Connect from \(text(context.clientAddress)) to \(text(context.localAddress)) "
            + "(\(context.frontendName)/\(httpMode ? "HTTP" : "TCP"))"
    }
}
