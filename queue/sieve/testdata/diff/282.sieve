# 282: reject inside a condition
require "reject";
if address :domain :is "from" "example.net" { reject "No mail from example.net."; }
