# 538: RFC 2047 word glued to preceding text
require "fileinto";
if header :is "x-h" "abc=?UTF-8?Q?caf=C3=A9?=" { fileinto "Literal"; }
elsif header :is "x-h" "abccafé" { fileinto "Decoded"; }
else { fileinto "Other"; }
