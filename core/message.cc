// Names and descriptions of the client message schema's enums (see
// wsbench/message.h).
#include "wsbench/message.h"

namespace wsbench {

std::string_view CommandTypeName(CommandType type) {
  switch (type) {
    case CommandType::kSubscribe:
      return "subscribe";
    case CommandType::kUnsubscribe:
      return "unsubscribe";
    case CommandType::kPublish:
      return "publish";
    case CommandType::kPing:
      return "ping";
  }
  return "?";
}

std::string_view MessageErrorName(MessageError error) {
  switch (error) {
    case MessageError::kOk:
      return "ok";
    case MessageError::kOversized:
      return "oversized";
    case MessageError::kInvalidUtf8:
      return "invalid_utf8";
    case MessageError::kTruncated:
      return "truncated";
    case MessageError::kMalformedJson:
      return "malformed_json";
    case MessageError::kTooDeep:
      return "too_deep";
    case MessageError::kNotAnObject:
      return "not_an_object";
    case MessageError::kUnknownType:
      return "unknown_type";
    case MessageError::kMissingField:
      return "missing_field";
    case MessageError::kMistypedField:
      return "mistyped_field";
    case MessageError::kDuplicateField:
      return "duplicate_field";
    case MessageError::kNoChannels:
      return "no_channels";
    case MessageError::kTooManyChannels:
      return "too_many_channels";
    case MessageError::kBadChannelName:
      return "bad_channel_name";
  }
  return "unknown_error";
}

std::string_view MessageErrorDescription(MessageError error) {
  switch (error) {
    case MessageError::kOk:
      return "ok";
    case MessageError::kOversized:
      return "message is larger than the limit";
    case MessageError::kInvalidUtf8:
      return "message is not valid UTF-8";
    case MessageError::kTruncated:
      return "message ends before the JSON text does";
    case MessageError::kMalformedJson:
      return "message is not valid JSON";
    case MessageError::kTooDeep:
      return "JSON nesting is deeper than the limit";
    case MessageError::kNotAnObject:
      return "message is not a JSON object";
    case MessageError::kUnknownType:
      return "unknown message type";
    case MessageError::kMissingField:
      return "required field is missing";
    case MessageError::kMistypedField:
      return "field has the wrong type";
    case MessageError::kDuplicateField:
      return "field appears twice";
    case MessageError::kNoChannels:
      return "channel list is empty";
    case MessageError::kTooManyChannels:
      return "too many channels";
    case MessageError::kBadChannelName:
      return "channel name is empty or too long";
  }
  return "unknown error";
}

std::string_view MessageFieldName(MessageField field) {
  switch (field) {
    case MessageField::kNone:
      return "";
    case MessageField::kType:
      return "type";
    case MessageField::kChannels:
      return "channels";
    case MessageField::kChannel:
      return "channel";
    case MessageField::kData:
      return "data";
    case MessageField::kId:
      return "id";
  }
  return "";
}

}  // namespace wsbench
