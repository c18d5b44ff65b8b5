// Path-tree test shared by the store implementations. Private to src/meta.
#ifndef S3FS_SRC_META_TREE_H_
#define S3FS_SRC_META_TREE_H_

#include <string_view>

namespace s3fs::meta {

// True when `path` is `tree` or below it ("" is the root: everything is below it).
inline bool IsUnder(std::string_view path, std::string_view tree) {
  if (tree.empty()) return true;
  return path == tree || (path.size() > tree.size() && path.substr(0, tree.size()) == tree &&
                          path[tree.size()] == '/');
}

}  // namespace s3fs::meta

#endif  // S3FS_SRC_META_TREE_H_
