#ifndef SHOPSTREAM_RPC_STREAM_STREAM_OPEN_H_
#define SHOPSTREAM_RPC_STREAM_STREAM_OPEN_H_

namespace shopstream::rpc_stream {

// Initial metadata a server sends as soon as it admits a stream, so that
// the client knows the stream is open before anything is answered on it:
// a server without the method, or one that refuses the caller, ends the
// stream with a status instead.
inline constexpr char kStreamOpenMetadataKey[] = "shopstream-stream-open";

}  // namespace shopstream::rpc_stream

#endif  // SHOPSTREAM_RPC_STREAM_STREAM_OPEN_H_
