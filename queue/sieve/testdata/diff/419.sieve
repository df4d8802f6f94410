# 419: header :contains on raw UTF-8 (RFC 6532)
require "fileinto";
if header :contains "subject" "Köln" { fileinto "Utf8"; } else { fileinto "No"; }
