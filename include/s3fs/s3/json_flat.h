// A strict parser for flat JSON objects: the answers of the EC2 instance metadata service and
// of the ECS/EKS container credentials endpoint ({"AccessKeyId": "...", "Token": "...", ...}).
//
// Accepts exactly one object whose values are strings, numbers, true, false or null (the
// latter kept as their JSON text), surrounded by optional whitespace. Nested objects and
// arrays, duplicate keys, bytes after the object, control characters in strings, bad escapes
// and lone UTF-16 surrogates are errors (ResponseError "InvalidJson"). Values are held as
// SecretString because they carry keys and tokens; error messages name a byte offset, never
// the content. Pure: no I/O, thread-safe.
#ifndef S3FS_S3_JSON_FLAT_H_
#define S3FS_S3_JSON_FLAT_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "s3fs/common/secret.h"
#include "s3fs/s3/error.h"

namespace s3fs::s3::json {

using FlatObject = std::map<std::string, SecretString, std::less<>>;

S3Result<FlatObject> ParseFlatObject(std::string_view text);

}  // namespace s3fs::s3::json

#endif  // S3FS_S3_JSON_FLAT_H_
