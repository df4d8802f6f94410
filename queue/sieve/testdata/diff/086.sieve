# 086: multiple From fields: first one
require "fileinto";
if address :domain :is "from" "example.org" { fileinto "First"; }
