# 364: RFC 2047: whitespace between adjacent encoded words is dropped (§6.2)
require "fileinto";
if header :contains "subject" "café crème" { fileinto "Joined"; } else { fileinto "No"; }
