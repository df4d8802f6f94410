# 085: multiple From fields: address tests each
require "fileinto";
if address :is "from" "second@example.net" { fileinto "Second"; }
