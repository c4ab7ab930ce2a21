// Text placed in the flame graphs' SVG: escaping, UTF-8 repair and labels.
//
// Function names come from symbol tables and profiles, so they may hold any
// bytes. Everything written into the SVG goes through XmlEscape, which
// yields well-formed XML 1.0 for any input: markup characters become
// entities, bytes that are not valid UTF-8 (RFC 3629: no overlongs,
// surrogates or code points above U+10FFFF) become U+FFFD, one per maximal
// invalid subsequence (Unicode's "substitution of maximal subparts"), and
// characters XML forbids (C0 controls other than tab, LF and CR; U+FFFE and
// U+FFFF) become a space or U+FFFD. Labels are cut on code point boundaries,
// never inside a multi-byte character.
//
// Complexity: linear in the text. Pure functions.
//
//   std::string label = FrameLabel("wsbench::Broadcaster::Publish", 12);
//   out += XmlEscape(label);   // "Publish"
#ifndef WSBENCH_TOOLS_FLAMEGRAPH_SVG_TEXT_H_
#define WSBENCH_TOOLS_FLAMEGRAPH_SVG_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace wsbench::flamegraph {

// `text` as valid UTF-8: each maximal invalid subsequence becomes U+FFFD.
std::string RepairUtf8(std::string_view text);

// Number of code points in `text` (each invalid byte counts as one).
size_t CodePointCount(std::string_view text);

// The first `max_code_points` code points of valid UTF-8 `text` (all of it
// when shorter); never splits a multi-byte character.
std::string_view TruncateUtf8(std::string_view text, size_t max_code_points);

// Escapes &, <, >, " and ' for XML text and attribute values and repairs the
// text as described above; the result is always well-formed XML content.
std::string XmlEscape(std::string_view text);

// The label for a frame `fits` characters wide: the whole name, else the name
// without its leading namespaces/classes ("wsbench::internal::Foo::Bar" ->
// "Foo::Bar" -> "Bar"), else a prefix with "..". Counts code points; `name`
// should be valid UTF-8 (RepairUtf8).
std::string FrameLabel(std::string_view name, int fits);

}  // namespace wsbench::flamegraph

#endif  // WSBENCH_TOOLS_FLAMEGRAPH_SVG_TEXT_H_
