# 367: header field without a space after the colon
require "fileinto";
if header :is "x-tight" "value" { fileinto "Tight"; }
