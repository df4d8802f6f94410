# 080: address after a group
require "fileinto";
if address :is "cc" "zed@example.net" { fileinto "Zed"; }
