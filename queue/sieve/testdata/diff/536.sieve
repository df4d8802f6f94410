# 536: RFC 2047 Q encoding with underscores and lower-case names
require "fileinto";
if header :is "x-h" "a b c" { fileinto "Spaces"; } else { fileinto "No"; }
