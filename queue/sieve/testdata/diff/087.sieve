# 087: multiple From fields: header test
require "fileinto";
if header :contains "from" "Second" { fileinto "Hdr"; }
