# 028: allof all true
require "fileinto";
if allof (true, exists "from", address :is "to" "me@example.com") { fileinto "All"; }
