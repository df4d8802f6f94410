# 498: subaddress sorter
require ["envelope", "subaddress", "fileinto", "variables", "mailbox"];
if envelope :detail :matches "to" "?*" { set :lower "box" "${0}"; fileinto :create "Plus.${box}"; }
