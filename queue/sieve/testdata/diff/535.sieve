# 535: RFC 2047 word in windows-1252
require "fileinto";
if header :contains "x-h" "€uro" { fileinto "Euro"; } else { fileinto "No"; }
