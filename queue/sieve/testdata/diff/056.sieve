# 056: leading and trailing whitespace of a header value
require "fileinto";
if header :is "x-spaces" "padded value" { fileinto "Trimmed"; } else { fileinto "Kept"; }
