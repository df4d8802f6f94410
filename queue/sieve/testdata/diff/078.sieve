# 078: address inside a group
require "fileinto";
if address :is "cc" "ann@example.com" { fileinto "Ann"; }
