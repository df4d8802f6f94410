# 363: header From with an RFC 2047 display name is decoded
require "fileinto";
if header :contains "from" "Jörg Müller" { fileinto "Decoded"; } else { fileinto "No"; }
