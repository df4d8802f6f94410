# 362: address with an RFC 2047 display name
require "fileinto";
if address :is "from" "joerg@example.de" { fileinto "Joerg"; }
