// A real XML parser's verdict for tests: expat (Debian's libexpat1-dev)
// parses a document and says whether it is well-formed XML 1.0, and if not,
// where and why.
//
//   EXPECT_EQ(XmlError(svg), "");   // "" = well-formed
#ifndef WSBENCH_TESTS_XML_CHECK_H_
#define WSBENCH_TESTS_XML_CHECK_H_

#include <expat.h>

#include <string>
#include <string_view>

namespace wsbench::testing {

// "" when `doc` is a well-formed XML document, else expat's error with its
// line and column.
inline std::string XmlError(std::string_view doc) {
  XML_Parser parser = XML_ParserCreate("UTF-8");
  std::string error;
  if (XML_Parse(parser, doc.data(), static_cast<int>(doc.size()), 1) ==
      XML_STATUS_ERROR) {
    error = std::string(XML_ErrorString(XML_GetErrorCode(parser))) +
            " at line " + std::to_string(XML_GetCurrentLineNumber(parser)) +
            ", column " + std::to_string(XML_GetCurrentColumnNumber(parser));
  }
  XML_ParserFree(parser);
  return error;
}

}  // namespace wsbench::testing

#endif  // WSBENCH_TESTS_XML_CHECK_H_
