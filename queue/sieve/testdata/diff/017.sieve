# 017: CRLF script
require "fileinto";
if true {
  fileinto "Crlf";
}
