# 082: quoted local part
require "fileinto";
if address :localpart :is "bcc" "john doe" { fileinto "Quoted"; } else { fileinto "No"; }
