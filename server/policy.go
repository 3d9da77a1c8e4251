package server

import "github.com/openqluster/qluster-go/qluster"

// access is what an operation needs from the acting user.
type access int

const (
	// accessPublic needs no token.
	accessPublic access = iota
	// accessAny is open to every signed-in user; the handler limits what each sees.
	accessAny
	// accessRead is for reading: superuser, editor and read_only.
	accessRead
	// accessWrite is dataset, data source, alert and job work: superuser and editor.
	accessWrite
	// accessAdmin is managing users and destinations: superuser only.
	accessAdmin
)

// sourceScoped are the operations a limited_to_source user may call, on the
// data sources in its data_source_model_ids and their files, alerts, jobs and
// rows only (the handler checks the object).
var sourceScoped = map[string]bool{
	"getDataSources": true, "getDataSource": true, "getDataSourceTiny": true, "getDataSourceHistory": true,
	"getDataSourceValidationModel": true, "uploadFileToDataSource": true, "runSensorJobNow": true,
	"getStoredItems": true, "createStoredItemForUpload": true, "patchStoredItem": true, "getStoredItem": true,
	"deleteStoredItem": true, "publishStoredItemForIngestion": true, "downloadStoredItem": true,
	"getAlerts": true, "getAlert": true, "resolveAlert": true,
	"getIngestionJobs": true, "getIngestionJob": true, "runIngestionJobNow": true, "killIngestionJob": true,
	"getData": true,
}

// operationAccess overrides the access derived from the HTTP method.
var operationAccess = map[string]access{
	"loginForAccessToken": accessPublic, "getOpenAPIDocument": accessPublic, "getAPIDocs": accessPublic,
	"getHealthz": accessPublic, "getReadyz": accessPublic, "putUpload": accessPublic,
	"readUsersMe": accessAny, "getUser": accessAny, "patchUser": accessAny, "getUsers": accessAny,
	"getMenuStats": accessAny,
	"createUser":   accessAdmin, "postDestinationModel": accessAdmin, "patchDestinationModel": accessAdmin,
}

// accessOf is the access an operation needs: its override, else read for GET
// and write for the rest.
func accessOf(operationID, method string) access {
	if a, ok := operationAccess[operationID]; ok {
		return a
	}
	if method == "GET" {
		return accessRead
	}
	return accessWrite
}

// allowed reports whether a user of type t may call the operation at all.
func allowed(t qluster.UserType, operationID, method string) bool {
	a := accessOf(operationID, method)
	switch a {
	case accessPublic, accessAny:
		return true
	}
	switch t {
	case qluster.UserTypeSuperuser:
		return true
	case qluster.UserTypeEditor:
		return a == accessRead || a == accessWrite
	case qluster.UserTypeReadOnly:
		return a == accessRead
	case qluster.UserTypeLimitedToSource:
		return sourceScoped[operationID]
	}
	return false
}
