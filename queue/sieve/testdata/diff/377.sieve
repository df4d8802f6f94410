# 377: :value on an address
require ["fileinto", "relational"];
if address :localpart :value "lt" "from" "bob" { fileinto "BeforeBob"; }
