# 044: header :matches with escaped wildcard
require "fileinto";
if header :matches "x-pattern" "a\\*b" { fileinto "Literal"; }
