# 057: RFC 2047 B-encoded UTF-8 subject is decoded
require "fileinto";
if header :contains "subject" "Für dich" { fileinto "Decoded"; } else { fileinto "No"; }
