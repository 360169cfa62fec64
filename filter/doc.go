// Package filter implements Lambda's FilterCriteria for Amazon MQ messages: the
// EventBridge-style pattern language, applied to the message body the way an MQ event
// source mapping applies it to the record's data key.
//
//	set, err := filter.Compile([]string{`{"data":{"timeout":[{"numeric":[">",0]}]}}`})
//	if err != nil { ... } // a *PatternError; Error() is Lambda's message
//	if set.Match(body) { ... } // body: the message's bytes, not base64
//
// A pattern may name only the data key (Lambda filters MQ messages on data alone). A
// body that is a UTF-8 JSON object or array is matched as JSON; any other UTF-8 body is
// one plain string; a body that is not UTF-8 has no data value at all ("metadata only"),
// so only {"exists": false} can hold for it. Patterns are ORed: a message passes when
// any pattern matches. A nil or empty Set matches everything.
//
// Operators: exact strings, numbers, true, false and null; prefix and suffix (also with
// equals-ignore-case); equals-ignore-case; anything-but with a string, a number or a list
// of either; numeric comparisons and ranges; exists; and $or. EventBridge-only operators
// (wildcard, cidr, anything-but with a nested operator) are rejected, as Lambda's Pipes
// column of the operator table says.
//
// Semantics worth knowing, where AWS's documentation is silent or wrong:
//   - Numbers match by value (300 matches 300.0 and 3e2) or by identical text, as real
//     EventBridge does, although AWS's docs say numbers compare as strings.
//   - An event array matches when any element matches; fields matched under one array of
//     objects must come from the same element.
//   - When a body repeats a key, the last value counts, as the function's JSON decoder
//     sees it.
//   - The data kinds follow from ordinary matching: a JSON pattern never matches a plain
//     body, nor a plain-string pattern a JSON object body; but {"data":[{"exists":false}]}
//     matches JSON objects and non-UTF-8 bodies, and a plain-string pattern can match a
//     string element of a JSON array body.
//   - Keys are paths of object keys: a pattern key "a.b" matches only a key named "a.b",
//     not the nested a → b (event-ruler joins paths with dots; its README warns not to
//     rely on that, and this package does not emulate it).
//
// Match is safe for concurrent use and allocates nothing for bodies without escaped
// strings in the fields the patterns name.
package filter
