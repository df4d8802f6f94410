# 083: quoted local part :all
require "fileinto";
if address :all :is "bcc" "\"john doe\"@example.com" { fileinto "QuotedAll"; } else { fileinto "Unquoted"; }
