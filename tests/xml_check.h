// A real XML parser for tests: expat (Debian's libexpat1-dev) says whether a
// document is well-formed XML 1.0 (and if not, where and why), and reads its
// elements so tests assert on attributes and text as a browser would see
// them, entities decoded.
//
//   EXPECT_EQ(XmlError(svg), "");   // "" = well-formed
//   for (const XmlElement& e : ParseXml(svg)) ...
#ifndef WSBENCH_TESTS_XML_CHECK_H_
#define WSBENCH_TESTS_XML_CHECK_H_

#include <expat.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace wsbench::testing {

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text;  // character data directly inside the element
  int parent = -1;   // index in the ParseXml result; -1 for the root
  std::vector<int> children;
};

namespace internal {

struct XmlBuilder {
  std::vector<XmlElement> elements;
  std::vector<int> open;
};

inline void XMLCALL XmlStart(void* data, const XML_Char* name,
                             const XML_Char** attributes) {
  auto* b = static_cast<XmlBuilder*>(data);
  XmlElement e;
  e.name = name;
  for (int i = 0; attributes[i] != nullptr; i += 2) {
    e.attributes[attributes[i]] = attributes[i + 1];
  }
  e.parent = b->open.empty() ? -1 : b->open.back();
  int id = static_cast<int>(b->elements.size());
  if (e.parent >= 0) b->elements[e.parent].children.push_back(id);
  b->elements.push_back(std::move(e));
  b->open.push_back(id);
}

inline void XMLCALL XmlEnd(void* data, const XML_Char*) {
  static_cast<XmlBuilder*>(data)->open.pop_back();
}

inline void XMLCALL XmlText(void* data, const XML_Char* s, int len) {
  auto* b = static_cast<XmlBuilder*>(data);
  if (!b->open.empty()) b->elements[b->open.back()].text.append(s, len);
}

// Parses `doc`; returns "" or expat's error with line and column.
inline std::string XmlParse(std::string_view doc, XmlBuilder* builder) {
  XML_Parser parser = XML_ParserCreate("UTF-8");
  if (builder != nullptr) {
    XML_SetUserData(parser, builder);
    XML_SetElementHandler(parser, XmlStart, XmlEnd);
    XML_SetCharacterDataHandler(parser, XmlText);
  }
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

}  // namespace internal

// "" when `doc` is a well-formed XML document, else expat's error with its
// line and column.
inline std::string XmlError(std::string_view doc) {
  return internal::XmlParse(doc, nullptr);
}

// Every element of `doc` in document order (empty when `doc` is not
// well-formed).
inline std::vector<XmlElement> ParseXml(std::string_view doc) {
  internal::XmlBuilder builder;
  if (!internal::XmlParse(doc, &builder).empty()) return {};
  return std::move(builder.elements);
}

}  // namespace wsbench::testing

#endif  // WSBENCH_TESTS_XML_CHECK_H_
