# 089: address with no such header
require "fileinto";
if address :is "cc" "x@y" { fileinto "Yes"; } else { fileinto "No"; }
