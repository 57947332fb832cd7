import TidegateCore

/// The bytes `txn.req` / `txn.res` work on in TCP mode: the stream's `ChannelBuffer` (`SampleContext.requestChannel`
/// and `responseChannel`, set by the TCP proxy).
public typealias LuaChannelBuffer = ChannelBuffer
