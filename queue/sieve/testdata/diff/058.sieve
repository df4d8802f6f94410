# 058: RFC 2047 Q-encoded ISO-8859-1 header is decoded
require "fileinto";
if header :is "x-label" "Grüße" { fileinto "Decoded"; } else { fileinto "No"; }
