# 068: address :is :all default
require "fileinto";
if address :is "from" "alice@example.net" { fileinto "Yes"; }
