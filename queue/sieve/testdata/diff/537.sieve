# 537: RFC 2047 word adjacent to a quote in an unstructured field
require "fileinto";
if header :is "x-h" "\"quoted =?UTF-8?Q?x?=\"" { fileinto "Literal"; } else { fileinto "Decoded"; }
