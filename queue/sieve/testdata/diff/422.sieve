# 422: header name with dots and underscores
require "fileinto";
if header :is "x-odd-name.with_chars" "odd" { fileinto "Odd"; }
