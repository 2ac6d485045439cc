#ifndef SHOPSTREAM_GATEWAY_REQUEST_FRAMING_H_
#define SHOPSTREAM_GATEWAY_REQUEST_FRAMING_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace shopstream::gateway {

// The length of the header block at the start of `received` (the request
// line to the empty line that ends the headers, inclusive), or 0 while it
// is incomplete.
size_t HeaderBlockLength(absl::string_view received);

// Refuses a header block whose body framing a proxy in front of the gateway
// could read differently, which would let the body of one request be taken
// for the next (request smuggling), as RFC 9112 tells servers to:
// INVALID_ARGUMENT (400) for obsolete line folding, a Content-Length that is
// not one plain decimal number, Transfer-Encoding beside Content-Length or
// in an HTTP/1.0 request, and a transfer coding list that does not end in
// chunked (or names it twice); UNIMPLEMENTED (501) for a coding besides
// chunked. The connection must be closed after either.
//
// Beast's parser cannot do this after the fact: it joins folded lines into
// one value and reads a request whose codings do not end in chunked as
// having no body.
absl::Status CheckRequestFraming(absl::string_view header_block);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_REQUEST_FRAMING_H_
