# 092: address of several addresses in one To
require "fileinto";
if address :is "to" "two@example.com" { fileinto "Two"; }
