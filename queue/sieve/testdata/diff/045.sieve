# 045: header :matches escaped wildcard does not match other text
require "fileinto";
if header :matches "x-pattern" "a\\*b" { fileinto "Literal"; } else { fileinto "No"; }
