# 242: flags are case-insensitive and deduplicated
require ["fileinto", "imap4flags"];
addflag "\\seen"; addflag "\\SEEN"; addflag ["Foo", "foo"];
